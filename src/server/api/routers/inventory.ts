import { z } from 'zod';
import { exportInventory, importInventory, InventoryImportError, InventoryNotEmptyError } from '../../services/inventory-io';
import { FieldValidationError } from '../errors';
import { assertAllZones } from '../../auth/zones';
import { adminProcedure, readProcedure, router, TRPCError } from '../trpc';

export const inventoryRouter = router({
  /** The whole inventory as a `plenum-inventory` version 1 document (natural keys, no database ids; TPU pods, chips and ICI links included). */
  export: readProcedure.query(({ ctx }) => {
    // The document holds every zone's plant (and the shared power and cooling chain): all-zones grants only.
    assertAllZones(ctx, 'exporting the whole inventory');
    return exportInventory(ctx.db);
  }),

  /**
   * Imports a `plenum-inventory` document into an empty inventory, in one transaction. Invalid documents are refused
   * with field errors naming the JSON path (`devices.12.position`); `dryRun` checks everything and writes nothing.
   */
  import: adminProcedure
    .meta({ example: { document: {}, dryRun: true } })
    .input(z.object({ document: z.unknown(), dryRun: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, 'importing an inventory');
      try {
        return await importInventory(ctx.db, input.document, { actor: ctx.actor, dryRun: input.dryRun });
      } catch (error) {
        if (error instanceof InventoryImportError) throw new FieldValidationError(error.issues);
        if (error instanceof InventoryNotEmptyError) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: error.message });
        throw error;
      }
    }),
});
