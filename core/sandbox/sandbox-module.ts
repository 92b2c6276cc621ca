// The `sandbox` host module: starts the rule runner with the host, stops it on shutdown (services.sandbox).
import type { HostModule } from '../host-module.ts';
import type { HostServices } from '../host-services.ts';
import { createSandbox, type SandboxOptions } from './create-sandbox.ts';

function envNumber(name: string): number | undefined {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Limits from the environment (TANDEM_RULE_MEMORY_MB, TANDEM_RULE_TIMEOUT_MS, TANDEM_RULE_WALL_MS). */
export function sandboxOptionsFromEnv(): SandboxOptions {
  const opts: SandboxOptions = {};
  const memory = envNumber('TANDEM_RULE_MEMORY_MB');
  const timeout = envNumber('TANDEM_RULE_TIMEOUT_MS');
  const wall = envNumber('TANDEM_RULE_WALL_MS');
  if (memory !== undefined) opts.memoryLimitMb = memory;
  if (timeout !== undefined) opts.timeoutMs = timeout;
  if (wall !== undefined) opts.wallTimeoutMs = wall;
  return opts;
}

/**
 * Creates the sandbox and puts it on `services.sandbox`; the runner process is warmed up at start.
 * @example export const hostModules = [createSandboxModule, createRulesModule, ...];
 */
export function createSandboxModule(services: HostServices): HostModule {
  const sandbox = createSandbox({ ...sandboxOptionsFromEnv(), log: services.log });
  services.sandbox = sandbox;
  return {
    name: 'sandbox',
    start: async () => {
      // Warm up without holding the host's start: the first rule run waits for readiness anyway.
      sandbox.start().catch((err: unknown) => services.log.error({ err }, 'rule runner did not start'));
    },
    stop: () => sandbox.close(),
  };
}
