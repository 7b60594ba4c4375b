'use client';

import type { ReactNode } from 'react';
import { type Permission, useCan } from './useMe';

/**
 * Shows its children only to callers holding one of the permissions (viewers see no edit controls). This is
 * cosmetic: the server refuses a forged request anyway.
 */
export function Can({ any, children }: { any: Permission[]; children: ReactNode }): ReactNode {
  return useCan(...any) ? children : null;
}
