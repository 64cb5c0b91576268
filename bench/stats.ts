/** Medians over repeated runs: this machine is shared and noisy, so a single run says little. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function repeat(runs: number, once: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) results.push(await once());
  return results;
}

export function report(name: string, perSecond: number[], unit = 'events/s'): void {
  console.log(
    `${name.padEnd(48)} median ${fmt(median(perSecond)).padStart(9)} ${unit}   (runs: ${perSecond.map(fmt).join(', ')})`,
  );
}
