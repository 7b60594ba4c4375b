import { fileURLToPath } from 'node:url';

/** Where the openb trace lives: $OPENB_TRACE_DIR, else ../shared/traces/openb beside the repository. */
export const OPENB_TRACE_DIR =
  process.env.OPENB_TRACE_DIR ?? fileURLToPath(new URL('../../../shared/traces/openb', import.meta.url));
