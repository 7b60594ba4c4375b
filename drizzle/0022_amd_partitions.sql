-- AMD Instinct partition modes (src/domain/amd-partitions.ts): each partitionable GPU's current compute mode
-- (SPX/DPX/QPX/CPX: 1/2/4/8 logical GPUs) and memory mode (NPS1/NPS4). NULL on GPUs without partitioning.
ALTER TABLE "accelerators" ADD COLUMN "compute_partition" text;
--> statement-breakpoint
ALTER TABLE "accelerators" ADD COLUMN "memory_partition" text;
--> statement-breakpoint
ALTER TABLE "accelerators" ADD CONSTRAINT "accelerators_compute_partition" CHECK ("compute_partition" IN ('SPX', 'DPX', 'QPX', 'CPX'));
--> statement-breakpoint
ALTER TABLE "accelerators" ADD CONSTRAINT "accelerators_memory_partition" CHECK ("memory_partition" IN ('NPS1', 'NPS4'));
--> statement-breakpoint
-- Both set or neither; NPS4 only with CPX (the combinations AMD supports on MI300X / MI325X).
ALTER TABLE "accelerators" ADD CONSTRAINT "accelerators_partition_pair" CHECK (("compute_partition" IS NULL) = ("memory_partition" IS NULL) AND ("memory_partition" IS DISTINCT FROM 'NPS4' OR "compute_partition" = 'CPX'));
--> statement-breakpoint
-- An allocation on a partitioned GPU holds one logical GPU (partition): its index on the GPU, and milli = the
-- partition's physical share (CPX: 125), so the per-GPU 1000-milli trigger still bounds the whole GPU.
ALTER TABLE "gpu_allocations" ADD COLUMN "partition_index" smallint;
--> statement-breakpoint
ALTER TABLE "gpu_allocations" ADD CONSTRAINT "gpu_allocations_partition_index_range" CHECK ("partition_index" BETWEEN 0 AND 7);
--> statement-breakpoint
CREATE UNIQUE INDEX "gpu_allocations_active_partition_idx" ON "gpu_allocations" ("accelerator_id", "partition_index") WHERE "released_at" IS NULL AND "partition_index" IS NOT NULL;
