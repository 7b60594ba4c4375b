/**
 * The permission model. Every tRPC procedure declares one permission (or a list, any of which suffices):
 *   public  - anyone, signed in or not (health, sign-in)
 *   read    - every signed-in role
 *   operate - act on devices, racks, faults, alerts, jobs
 *   plan    - capacity what-ifs and planned objects
 *   admin   - users, tokens, zones, settings, the audit trail
 * Roles are sets of permissions; a grant (user or token) is a role plus "all zones" or a list of zones.
 */
export const ROLES = ['viewer', 'operator', 'planner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['public', 'read', 'operate', 'plan', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];
/** A permission other than `public`: what a role can hold. */
export type GrantedPermission = Exclude<Permission, 'public'>;

export const ROLE_PERMISSIONS: Record<Role, readonly GrantedPermission[]> = {
  viewer: ['read'],
  operator: ['read', 'operate'],
  planner: ['read', 'plan'],
  admin: ['read', 'operate', 'plan', 'admin'],
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'read what they may see',
  operator: 'act on devices, racks, faults, alerts and jobs',
  planner: 'capacity what-ifs and planned objects',
  admin: 'users, tokens, zones and settings; everything',
};

export function permissionsOf(role: Role): Set<GrantedPermission> {
  return new Set(ROLE_PERMISSIONS[role]);
}

/** True when every permission of `role` is also held by `than` (viewer ≤ operator, viewer ≤ planner, all ≤ admin). */
export function roleAtMost(role: Role, than: Role): boolean {
  const granted = permissionsOf(than);
  return ROLE_PERMISSIONS[role].every((p) => granted.has(p));
}

/** The permissions two grants have in common (a token never exceeds its user's current role). */
export function intersect(a: Iterable<GrantedPermission>, b: Iterable<GrantedPermission>): Set<GrantedPermission> {
  const other = new Set(b);
  return new Set([...a].filter((p) => other.has(p)));
}
