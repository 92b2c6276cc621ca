// The subsystems every host runs, in start order (later ones may use earlier ones).
import type { ModuleFactory } from './host.ts';

export const hostModules: ModuleFactory[] = [];
