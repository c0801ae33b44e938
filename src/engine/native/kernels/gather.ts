/**
 * GatherV2 (axis 0) and UnsortedSegmentSum (1-D ids over axis 0) as plain typed-array loops. tfjs's cpu
 * UnsortedSegmentSum builds one equal/multiply/sum pass per segment, O(segments · size): for a PQ layer's
 * centroid gradient (methods.md §5.5, K = 256 rows) that was 18.5 s of an 19 s ResNet-20 training step.
 * These are O(size). Other forms fall back to the cpu kernels.
 */
import { gatherRowsInto, segmentSumInto } from '../../row-kernels.js';
import { sizeOf, type NativeKernel } from './types.js';

export const unsortedSegmentSum: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments as number;
  const xv = x && backend.f32(x);
  if (!x || !segmentIds || !xv || segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) return undefined;
  const inner = sizeOf(x.shape.slice(1));
  const ids = backend.readSync(segmentIds.dataId) as ArrayLike<number>;
  const shape = [numSegments, ...x.shape.slice(1)];
  const out = backend.pool.alloc(sizeOf(shape));
  segmentSumInto(out, xv, ids, inner, numSegments);
  return backend.output(shape, out);
};

export const gatherV2: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, indices } = inputs;
  const xv = x && backend.f32(x);
  const axis = attrs.axis as number;
  if (!x || !indices || !xv || (attrs.batchDims as number | undefined ?? 0) !== 0 || x.shape.length === 0) return undefined;
  if (axis !== 0 && axis !== -x.shape.length) return undefined;
  if (indices.dtype !== 'int32') return undefined;
  const inner = sizeOf(x.shape.slice(1));
  const ids = backend.readSync(indices.dataId) as ArrayLike<number>;
  const shape = [...indices.shape, ...x.shape.slice(1)];
  const out = backend.pool.alloc(sizeOf(shape));
  try {
    gatherRowsInto(out, xv, ids, inner, x.shape[0]);
  } catch (e) {
    backend.pool.recycle(out);
    throw e;
  }
  return backend.output(shape, out);
};
