/**
 * The SFP paper's FLOPs accounting for CIFAR ResNets (he-y/soft-filter-pruning utils/cifar_resnet_flop.py,
 * methods.md §2.3), reproduced so Whittle's reports can quote the same "FLOPs reduced" figures.
 * Conventions of that script (convolutions only, multiply-accumulates, 3×3 kernels):
 * - stem conv 3→16: output channels scaled by the keep rate r;
 * - the two convs of the first block, and the second conv of every block: input and output scaled (r²);
 * - the first conv of every other block: output only (r), since its input is the residual stream;
 * - the first conv of stages 2 and 3 reads the previous stage's width (the script's "offset").
 * The parity rule of the script (odd layer index = first conv of a block) is followed as written.
 * For the exact count of a concrete pruned model use `countFlops` in src/models/stats.ts.
 */
const CHANNELS = [16, 32, 64];
const WIDTHS = [32, 16, 8];

export function sfpResnetFlops(depth: number, keepRate = 1): number {
  if (![20, 32, 44, 56, 110].includes(depth)) throw new RangeError(`SFP FLOPs table covers CIFAR ResNet-20/32/44/56/110, got ${depth}`);
  const r = keepRate;
  const stage = Math.floor(depth / 3);
  const conv = (s: number, cin: number) => CHANNELS[s] * WIDTHS[s] * WIDTHS[s] * 9 * cin;
  let flops = CHANNELS[0] * WIDTHS[0] * WIDTHS[0] * 9 * 3 * r;
  for (let index = 1; index < depth; index++) {
    const s = index <= stage ? 0 : index <= 2 * stage ? 1 : 2;
    if (index > 3 * stage) break;
    const factor = index <= 2 || index % 2 === 0 ? r * r : r;
    flops += conv(s, CHANNELS[s]) * factor;
  }
  // First convs of stages 2 and 3 read the narrower previous stage (counted above at full width).
  flops -= (conv(1, CHANNELS[1]) - conv(1, CHANNELS[0])) * r;
  flops -= (conv(2, CHANNELS[2]) - conv(2, CHANNELS[1])) * r;
  return flops;
}

/** Fraction of FLOPs removed at keep rate r, e.g. 0.422 for ResNet-20 at r = 0.7. */
export function sfpFlopsReduction(depth: number, keepRate: number): number {
  return 1 - sfpResnetFlops(depth, keepRate) / sfpResnetFlops(depth, 1);
}
