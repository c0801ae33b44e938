/**
 * A small ONNX graph builder over onnx-proto's generated messages (protobufjs): nodes, float/int64
 * initialisers, unique tensor names, and the final ModelProto bytes (IR 7, default-domain opset 13).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 13;
/** IR version that goes with opset 13 (ONNX 1.8). */
export const IR_VERSION = 7;

type AttrValue = number | number[] | string | { ints: number[] } | { float: number };

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('ints' in v) return { name, type: T.INTS, ints: v.ints };
  return { name, type: T.FLOAT, f: v.float };
}

export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];

  /** A fresh tensor name based on `base`. */
  name(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  /** Adds a node; returns its (single) output name. */
  node(op: string, inputs: string[], base: string, attrs: Record<string, AttrValue> = {}): string {
    const out = this.name(base);
    this.nodes.push({ opType: op, input: inputs, output: [out], name: out, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  private tensor(base: string, dims: number[], dataType: number, rawData: Uint8Array): string {
    const name = this.name(base);
    this.inits.push({ name, dims, dataType, rawData });
    return name;
  }

  floats(base: string, data: Float32Array, dims: number[]): string {
    return this.tensor(base, dims, onnx.TensorProto.DataType.FLOAT, new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
  }

  int64s(base: string, values: number[]): string {
    const b = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.tensor(base, [values.length], onnx.TensorProto.DataType.INT64, new Uint8Array(b.buffer));
  }

  /** A scalar initialiser of type `dataType` (FLOAT, UINT8, INT8, INT32). */
  scalar(base: string, value: number, dataType: number = onnx.TensorProto.DataType.FLOAT, dims: number[] = []): string {
    const DT = onnx.TensorProto.DataType;
    const arr = dataType === DT.FLOAT ? new Float32Array([value]) : dataType === DT.UINT8 ? new Uint8Array([value]) : dataType === DT.INT8 ? new Int8Array([value]) : new Int32Array([value]);
    return this.tensor(base, dims, dataType, new Uint8Array(arr.buffer));
  }

  /** A raw initialiser (e.g. int8 codes). */
  raw(base: string, dims: number[], dataType: number, bytes: Uint8Array): string {
    return this.tensor(base, dims, dataType, bytes);
  }

  private valueInfo(name: string, shape: Array<number | null>): onnxProto.onnx.IValueInfoProto {
    return {
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d, i) => (d === null ? { dimParam: i === 0 ? 'batch' : `d${i}` } : { dimValue: d })) } } },
    };
  }

  input(base: string, shape: Array<number | null>): string {
    const name = this.name(base);
    this.inputs.push(this.valueInfo(name, shape));
    return name;
  }

  output(name: string, shape: Array<number | null>): void {
    this.outputs.push(this.valueInfo(name, shape));
  }

  encode(graphName: string, docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'whittle',
      docString,
      graph: { name: graphName, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
