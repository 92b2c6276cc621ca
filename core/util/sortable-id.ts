// Ids that sort in the order they were made (within one process), for rows ordered by time then id.
import { nanoid } from 'nanoid';

let lastMs = 0;
let counter = 0;

/**
 * A time-ordered id: ids made in the same millisecond still sort in the order they were made, so
 * rows stamped with the same time (two comments in one ms) keep their order when sorted by id.
 * @example const id = sortableId(); // '0mg1b2c3d0000V1StGXR8_Z5jdHi6B'
 */
export function sortableId(): string {
  const now = Date.now();
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  return `${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${nanoid(12)}`;
}
