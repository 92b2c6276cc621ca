// The rules a new script connection starts with: type, summary, description, status, priority and public comments both ways.

export const DEFAULT_OUTGOING = `// Outgoing: build the replica the other side receives, from this side's entity.
// entity is a read-only copy: entity.summary, entity.status, entity.comments, ...
replica.type = entity.type;
replica.key = entity.key;
replica.summary = entity.summary;
replica.description = entity.description;
replica.status = entity.status;
replica.priority = entity.priority;
// Public comments only: internal comments stay on this side.
replica.comments = helpers.comments.merge(replica.comments, entity.comments);
// Public attachments only (metadata here; the files follow over the link).
if (entity.attachments) replica.attachments = helpers.attachments.public(entity.attachments);
`;

export const DEFAULT_INCOMING = `// Incoming: apply the other side's replica to this side's entity.
// On first sync (firstSync === true) entity is a new entity whose type is replica.type.
// Later, a field is taken only when the other side changed it since the replica applied last time
// (previous): an edit made here meanwhile to another field is kept, so both sides converge.
for (const field of ['summary', 'description', 'status', 'priority']) {
  if (firstSync || !previous || replica[field] !== previous[field]) entity[field] = replica[field];
}
// Adds the other side's public comments this entity does not have yet (and follows their edits and deletions).
entity.comments = helpers.comments.merge(entity.comments, replica.comments);
// Adds the other side's attachments once their files arrive; removes those removed there.
if (replica.attachments) entity.attachments = replica.attachments;
`;
