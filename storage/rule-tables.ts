// Table types of the rules subsystem (migration 0003_rules), merged into `Database` in schema.ts.

/** One published rule set of a connection; versions count up from 1 (the mode's defaults). */
export interface RuleVersionTable {
  connection_id: string;
  version: number;
  mode: string;
  /** The rule set as JSON (script text, visual mapping, or Basic's fixed field list). */
  rules: string;
  /** `default` (lazily created), `local` (an admin here) or `peer` (a visual edit from the other side). */
  origin: string;
  published_at: string;
}

/** The one unpublished draft of a connection, edited from the version it started from. */
export interface RuleDraftTable {
  connection_id: string;
  rules: string;
  base_version: number;
  updated_at: string;
}

export interface RuleTables {
  rule_versions: RuleVersionTable;
  rule_drafts: RuleDraftTable;
}
