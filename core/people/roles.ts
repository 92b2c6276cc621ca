// The three roles, ordered: a viewer reads, `rules` also edits rules and triggers and runs syncs, an admin does everything.

export const ROLES = ['viewer', 'rules', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, rules: 1, admin: 2 };

/**
 * Whether a caller with role `have` may do what needs `need`.
 * @example allows('rules', 'viewer') // true; allows('rules', 'admin') // false
 */
export const allows = (have: Role, need: Role): boolean => RANK[have] >= RANK[need];
