/**
 * CLIP weights from a file's bytes (TorchScript / state_dict zip, or safetensors in openai or Hugging Face
 * key layout) to an openai-layout state dict. No file access: `load` reads the file, the browser entry
 * passes fetched bytes.
 */
import { readSafetensors, toTypedArray } from '../io/safetensors.js';
import { readTorchFile } from '../io/torch-pt.js';
import { hfToOpenai, isHfClip } from './hf.js';
import type { StateDict } from './model/weights.js';

export type ClipWeightsFormat = 'torchscript' | 'state_dict' | 'safetensors';

export function clipStateDictFromBytes(buf: Uint8Array, name = '<buffer>'): { stateDict: StateDict; format: ClipWeightsFormat } {
  if (buf[0] === 0x50 && buf[1] === 0x4b) {
    const f = readTorchFile(buf, name);
    return { stateDict: f.tensors, format: f.kind };
  }
  const st = readSafetensors(buf, name);
  const sd: StateDict = new Map();
  for (const [k, t] of st.tensors) {
    const d = toTypedArray(t);
    sd.set(k, { shape: t.shape, data: d instanceof Float32Array || d instanceof Int32Array ? d : Float32Array.from(d) });
  }
  return { stateDict: isHfClip(sd.keys()) ? hfToOpenai(sd) : sd, format: 'safetensors' };
}
