// `tandem demo`: two paired hosts with sample data (built with the sync engine; see issue 7).
export async function runDemo(_args: string[]): Promise<number> {
  process.stderr.write('tandem demo is not available yet: it lands with the sync engine.\n');
  return 1;
}
