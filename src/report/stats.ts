/** Mean and sample standard deviation over seeds. */
export function meanStd(xs: number[]): { mean: number; std: number; n: number } {
  const v = xs.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export function fmtMeanStd(xs: number[], scale = 1, digits = 2): string {
  const { mean, std, n } = meanStd(xs);
  if (n === 0) return '–';
  return n > 1 ? `${(mean * scale).toFixed(digits)} ± ${(std * scale).toFixed(digits)}` : (mean * scale).toFixed(digits);
}
