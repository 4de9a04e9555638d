function pairs(n: number): number {
  return (n * (n - 1)) / 2;
}

/**
 * Adjusted Rand index of two labelings of the same points (Hubert & Arabie 1985): 1 for identical partitions,
 * about 0 for a random one. Used by the clusters benchmark to check that known themes are recovered.
 */
export function adjustedRandIndex(truth: Array<string | number>, predicted: Array<string | number>): number {
  if (truth.length !== predicted.length) throw new Error("labelings must have the same length");
  const n = truth.length;
  if (n < 2) return 1;
  const table = new Map<string, number>();
  const rows = new Map<string | number, number>();
  const cols = new Map<string | number, number>();
  for (let i = 0; i < n; i += 1) {
    const a = truth[i] as string | number;
    const b = predicted[i] as string | number;
    const key = `${typeof a}:${a}\u0000${typeof b}:${b}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a, (rows.get(a) ?? 0) + 1);
    cols.set(b, (cols.get(b) ?? 0) + 1);
  }
  let index = 0;
  for (const v of table.values()) index += pairs(v);
  let sumRows = 0;
  for (const v of rows.values()) sumRows += pairs(v);
  let sumCols = 0;
  for (const v of cols.values()) sumCols += pairs(v);
  const expected = (sumRows * sumCols) / pairs(n);
  const max = (sumRows + sumCols) / 2;
  // Both labelings put every point in one cluster (or each in its own): they agree perfectly.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
