/**
 * CLIP ModifiedResNet: 3-conv stem (3×3 s2 → w/2, 3×3 → w/2, 3×3 → w, each BN+ReLU) + AvgPool(2); Bottleneck
 * blocks (expansion 4) whose stride is an AvgPool after the 3×3 conv (all convs stride 1), downsample =
 * AvgPool(stride) → 1×1 conv → BN; AttentionPool2d: mean token prepended, + positional embedding, attention with
 * the mean token as the only query, separate q/k/v projections, c_proj.
 */
import { tf } from '../../engine/tf.js';
import type { ClipConfig } from './config.js';
import { attention, type AttnProj, type Capture } from './layers.js';
import type { ClipWeights } from './weights.js';

export class ModifiedResNet {
  private readonly pool: AttnProj;
  constructor(private readonly w: ClipWeights, private readonly cfg: ClipConfig) {
    const p = 'visual.attnpool';
    this.pool = {
      wq: w.linear(`${p}.q_proj.weight`), bq: w.tensor(`${p}.q_proj.bias`),
      wk: w.linear(`${p}.k_proj.weight`), bk: w.tensor(`${p}.k_proj.bias`),
      wv: w.linear(`${p}.v_proj.weight`), bv: w.tensor(`${p}.v_proj.bias`),
      wo: w.linear(`${p}.c_proj.weight`), bo: w.tensor(`${p}.c_proj.bias`),
    };
  }

  private convBn(x: tf.Tensor4D, conv: string, bn: string, stride = 1, pad: number | 'valid' = 'valid', relu = false): tf.Tensor4D {
    // BN folded into the filter (one multiply fewer per conv; differs from PyTorch by float rounding only);
    // its shift and the ReLU after it run inside the conv kernel (FusedConv2D) instead of two full passes.
    const [filter, shift] = this.w.convBn(conv, bn);
    return tf.fused.conv2d({ x, filter, strides: stride, pad, bias: shift, activation: relu ? 'relu' : 'linear' });
  }

  private bottleneck(x: tf.Tensor4D, prefix: string, stride: number): tf.Tensor4D {
    let out = this.convBn(x, `${prefix}.conv1.weight`, `${prefix}.bn1`, 1, 'valid', true);
    out = this.convBn(out, `${prefix}.conv2.weight`, `${prefix}.bn2`, 1, 1, true);
    if (stride > 1) out = tf.avgPool(out, stride, stride, 'valid');
    out = this.convBn(out, `${prefix}.conv3.weight`, `${prefix}.bn3`);
    let identity = x;
    if (this.w.has(`${prefix}.downsample.0.weight`)) {
      const pooled = stride > 1 ? tf.avgPool(x, stride, stride, 'valid') : x;
      identity = this.convBn(pooled, `${prefix}.downsample.0.weight`, `${prefix}.downsample.1`);
    }
    return tf.relu(tf.add(out, identity)) as tf.Tensor4D;
  }

  /** x: NHWC [N, R, R, 3] → [N, embed]. */
  apply(x: tf.Tensor4D, capture?: Capture): tf.Tensor2D {
    const layers = this.cfg.visionLayers as number[];
    return tf.tidy(() => {
      let h = this.convBn(x, 'visual.conv1.weight', 'visual.bn1', 2, 1, true);
      h = this.convBn(h, 'visual.conv2.weight', 'visual.bn2', 1, 1, true);
      h = this.convBn(h, 'visual.conv3.weight', 'visual.bn3', 1, 1, true);
      h = tf.avgPool(h, 2, 2, 'valid');
      capture?.('visual.avgpool', h);
      layers.forEach((blocks, s) => {
        for (let b = 0; b < blocks; b++) h = this.bottleneck(h, `visual.layer${s + 1}.${b}`, s > 0 && b === 0 ? 2 : 1);
        capture?.(`visual.layer${s + 1}`, h);
      });
      const [n, hh, ww, c] = h.shape;
      const tokens = tf.reshape(h, [n, hh * ww, c]);
      const seq = tf.add(tf.concat([tf.mean(tokens, 1, true), tokens], 1), this.w.tensor('visual.attnpool.positional_embedding'));
      const q = tf.slice(seq, [0, 0, 0], [n, 1, c]);
      const out = tf.reshape(attention(q, seq, this.pool, this.cfg.visionHeads), [n, -1]) as tf.Tensor2D;
      capture?.('visual.attnpool', out);
      return out;
    });
  }
}
