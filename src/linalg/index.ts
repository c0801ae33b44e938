/** Public dense linear algebra (tfjs has no SVD/QR): truncated SVD via the Gram route, pivoted QR, null space. */
export { svdTopK, reconstruct, symmetricEigen, gramRows, transpose, type SvdResult } from './svd.js';
export { symmetricEigenRows } from './eigen.js';
export { pivotedQr, nullSpace, orthogonalComplement, type QrOptions, type QrResult, type NullSpace } from './qr.js';
