// Waits for the signal that ends a foreground command (`tandem start`, `tandem demo`).

/** Resolves with the first SIGINT or SIGTERM, then stops listening for both. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
