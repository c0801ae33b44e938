/**
 * The nine official openai/CLIP checkpoints (clip/clip.py `_MODELS`). The second-to-last URL path segment is the
 * file's SHA-256, checked after download and on cache hits; cached file names replace "/" with "-" ("ViT-B-32.pt").
 */
export interface OfficialModel {
  name: string;
  url: string;
  sha256: string;
  fileName: string;
}

const BASE = 'https://openaipublic.azureedge.net/clip/models';
const MODELS: Array<[string, string]> = [
  ['RN50', 'afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762'],
  ['RN101', '8fa8567bab74a42d41c5915025a8e4538c3bdbe8804a470a72f30b0d94fab599'],
  ['RN50x4', '7e526bd135e493cef0776de27d5f42653e6b4c8bf9e0f653bb11773263205fdd'],
  ['RN50x16', '52378b407f34354e150460fe41077663dd5b39c54cd0bfd2b27167a4a06ec9aa'],
  ['RN50x64', 'be1cfb55d75a9666199fb2206c106743da0f6468c9d327f3e0d0a543a9919d9c'],
  ['ViT-B/32', '40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af'],
  ['ViT-B/16', '5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f'],
  ['ViT-L/14', 'b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836'],
  ['ViT-L/14@336px', '3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02'],
];

function fileNameOf(name: string): string {
  return `${name.replace(/\//g, '-').replace('@', '-')}.pt`;
}

/** Official model names with their download URL and expected SHA-256. */
export function availableModels(): OfficialModel[] {
  return MODELS.map(([name, sha256]) => {
    const fileName = fileNameOf(name);
    return { name, sha256, fileName, url: `${BASE}/${sha256}/${fileName}` };
  });
}

export function officialModel(name: string): OfficialModel | undefined {
  return availableModels().find((m) => m.name === name);
}

/** Expected SHA-256 from a URL of the official pattern (…/<sha256>/<file>.pt), if it has one. */
export function sha256FromUrl(url: string): string | undefined {
  const parts = new URL(url).pathname.split('/');
  const seg = parts[parts.length - 2];
  return seg && /^[0-9a-f]{64}$/.test(seg) ? seg : undefined;
}
