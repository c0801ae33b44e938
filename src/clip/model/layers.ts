/**
 * CLIP building blocks in plain tfjs ops (inference only), batch-first [N, L, W]:
 * LayerNorm (eps 1e-5), linear, QuickGELU, multi-head attention (nn.MultiheadAttention semantics, also with
 * separate q/k/v projections for AttentionPool2d), the pre-LN ResidualAttentionBlock and the Transformer.
 */
import { tf } from '../../engine/tf.js';
import type { ClipWeights } from './weights.js';

export type Capture = (name: string, t: tf.Tensor) => void;

export function layerNorm(x: tf.Tensor, w: ClipWeights, prefix: string): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(y, w.tensor(`${prefix}.weight`)), w.tensor(`${prefix}.bias`));
  });
}

/** x [..., in] @ W[in, out] (+ bias). */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shape = x.shape;
    const inDim = shape[shape.length - 1];
    let y: tf.Tensor = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, w);
    if (b) y = tf.add(y, b);
    return tf.reshape(y, [...shape.slice(0, -1), w.shape[1]]);
  });
}

export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

export interface AttnProj {
  wq: tf.Tensor2D; bq: tf.Tensor; wk: tf.Tensor2D; bk: tf.Tensor; wv: tf.Tensor2D; bv: tf.Tensor;
  wo: tf.Tensor2D; bo: tf.Tensor;
}

/** Packed nn.MultiheadAttention weights (in_proj_weight [3W, W]) split into q/k/v, transposed once. */
export function packedAttn(w: ClipWeights, prefix: string): AttnProj {
  const key = `${prefix}.in_proj_weight`;
  const [w3, width] = w.shape(key) as [number, number];
  const d = w3 / 3;
  // rows i·d..(i+1)·d of in_proj are q, k, v; only the transposed slices are kept (no packed copy in memory)
  const raw = w.raw(key).data;
  const rawBias = w.raw(`${prefix}.in_proj_bias`).data;
  const cols = (i: number) => tf.tidy(() => tf.transpose(tf.tensor2d(raw.subarray(i * d * width, (i + 1) * d * width), [d, width], 'float32'))) as tf.Tensor2D;
  const b = (i: number) => tf.tensor1d(rawBias.subarray(i * d, (i + 1) * d), 'float32');
  return {
    wq: cols(0), bq: b(0), wk: cols(1), bk: b(1), wv: cols(2), bv: b(2),
    wo: w.linear(`${prefix}.out_proj.weight`), bo: w.tensor(`${prefix}.out_proj.bias`),
  };
}

/** Multi-head attention: q from `xq` [N, Lq, W], k/v from `xkv` [N, L, W]; optional additive mask [Lq, L]. */
export function attention(xq: tf.Tensor, xkv: tf.Tensor, p: AttnProj, heads: number, mask?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [n, lq, width] = xq.shape as [number, number, number];
    const l = xkv.shape[1] as number;
    const d = width / heads;
    const split = (t: tf.Tensor, len: number) => tf.transpose(tf.reshape(t, [n, len, heads, d]), [0, 2, 1, 3]);
    // PyTorch scales q by 1/sqrt(head_dim) before the dot product
    const q = split(tf.mul(linear(xq, p.wq, p.bq), 1 / Math.sqrt(d)), lq);
    const k = split(linear(xkv, p.wk, p.bk), l);
    const v = split(linear(xkv, p.wv, p.bv), l);
    let s = tf.matMul(q, k, false, true); // [N, H, Lq, L]
    if (mask) s = tf.add(s, mask);
    const o = tf.matMul(tf.softmax(s), v); // [N, H, Lq, d]
    const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [n, lq, width]);
    return linear(merged, p.wo, p.bo);
  });
}

export class ResidualAttentionBlock {
  private readonly attn: AttnProj;
  constructor(private readonly w: ClipWeights, private readonly prefix: string, private readonly heads: number) {
    this.attn = packedAttn(w, `${prefix}.attn`);
  }
  apply(x: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    const { w, prefix } = this;
    return tf.tidy(() => {
      const h = layerNorm(x, w, `${prefix}.ln_1`);
      const x1 = tf.add(x, attention(h, h, this.attn, this.heads, mask));
      const h2 = layerNorm(x1, w, `${prefix}.ln_2`);
      const f = quickGelu(linear(h2, w.linear(`${prefix}.mlp.c_fc.weight`), w.tensor(`${prefix}.mlp.c_fc.bias`)));
      return tf.add(x1, linear(f, w.linear(`${prefix}.mlp.c_proj.weight`), w.tensor(`${prefix}.mlp.c_proj.bias`)));
    });
  }
  dispose(): void {
    tf.dispose([this.attn.wq, this.attn.bq, this.attn.wk, this.attn.bk, this.attn.wv, this.attn.bv]);
  }
}

export class Transformer {
  readonly blocks: ResidualAttentionBlock[] = [];
  constructor(w: ClipWeights, readonly prefix: string, layers: number, heads: number) {
    for (let i = 0; i < layers; i++) this.blocks.push(new ResidualAttentionBlock(w, `${prefix}.resblocks.${i}`, heads));
  }
  apply(x: tf.Tensor, mask?: tf.Tensor, capture?: Capture): tf.Tensor {
    let h = x;
    this.blocks.forEach((b, i) => {
      const next = b.apply(h, mask);
      if (h !== x) h.dispose();
      h = next;
      capture?.(`${this.prefix}.resblocks.${i}`, h);
    });
    return h === x ? tf.clone(x) : h;
  }
  dispose(): void {
    for (const b of this.blocks) b.dispose();
  }
}
