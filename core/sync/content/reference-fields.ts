// The fields Basic and Visual translate through the twins themselves: an id, or a list of ids, of another entity.
export const REFERENCE_FIELDS = ['problem', 'parent', 'cis', 'change', 'incident'] as const;
