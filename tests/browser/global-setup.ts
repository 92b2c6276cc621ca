// Builds the admin console once before the browser tests, so every host serves the current sources.
import { buildUi } from '../../ui/build.ts';

export default async function setup(): Promise<void> {
  await buildUi();
}
