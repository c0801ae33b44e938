{
  "targets": [
    {
      "target_name": "whittle_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/ew.cc", "src/direct16.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=x86-64-v3", "-fno-math-errno", "-fopenmp", "-fexceptions", "-Wno-unused-parameter"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldl"]
    }
  ]
}
