#!/usr/bin/env bash
# Rebuild llama-cpp-python in this checkout's .venv with the CUDA backend.
#   CODEASSIST_GPU=cuda bash scripts/build-cuda.sh [ARCH]     ARCH: 90 = H100/H200, 89 = L4/4090,
#                                                              86 = A10/3090, 80 = A100 (default:
#                                                              the local GPU's, else 90)
# Needs nvcc (the CUDA toolkit). A GPU is not needed to build: on a build machine without one
# pass ARCH. When the toolkit lacks cuBLAS, its headers and libraries come from the
# nvidia-cublas wheel (same CUDA major). Without the driver stub libcuda.so the build turns
# CUDA VMM off. Takes 30-90 minutes on 2 cores; the wheel is kept in ./wheel/ for other machines.
# At run time libcublas and libcudart of the same CUDA major must be on LD_LIBRARY_PATH.
set -euo pipefail
[ "${CODEASSIST_GPU:-cuda}" = cuda ] || { echo "CODEASSIST_GPU=${CODEASSIST_GPU}: nothing to do" >&2; exit 0; }
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
ver=$("$py" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))' 2>/dev/null || echo 0.3.36)
arch=${1:-$( (nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null || true) | head -1 | tr -d .)}
arch=${arch:-90}
cuda=""
for c in "${CUDA_HOME:-}" "$(readlink -f /usr/local/cuda 2>/dev/null || true)" \
         "$(dirname "$(dirname "$(readlink -f "$(command -v nvcc || echo /nonexistent)")")")"; do
  [ -n "$c" ] && [ -x "$c/bin/nvcc" ] && { cuda=$c; break; }
done
[ -n "$cuda" ] || { echo "no CUDA toolkit (nvcc) found: install it or set CUDA_HOME" >&2; exit 1; }
major=$("$cuda/bin/nvcc" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
tgt=$cuda/targets/x86_64-linux
vmm=""; [ -e "$tgt/lib/stubs/libcuda.so" ] || vmm="-DGGML_CUDA_NO_VMM=ON"
cmake_args="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=$arch -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON $vmm -DCUDAToolkit_ROOT=$cuda"
echo "llama-cpp-python $ver for sm_$arch with CUDA $major ($cuda)" >&2
[ -n "${DRY_RUN:-}" ] && { echo "CMAKE_ARGS=$cmake_args"; exit 0; }
if [ ! -e "$tgt/include/cublas_v2.h" ]; then
  tmp=$(mktemp -d)
  "$py" -m pip download -q --no-deps -d "$tmp" "nvidia-cublas<$major.1" 2>/dev/null \
    || "$py" -m pip download -q --no-deps -d "$tmp" "nvidia-cublas-cu$major"
  python3 -m zipfile -e "$(ls "$tmp"/*.whl | head -1)" "$tmp/x"
  lib=$(dirname "$(find "$tmp/x" -name "libcublas.so.$major" | head -1)")
  cp "$lib"/../include/*.h "$tgt/include/"
  cp "$lib"/libcublas*.so."$major" "$tgt/lib/"
  ln -sf "libcublas.so.$major" "$tgt/lib/libcublas.so"
  ln -sf "libcublasLt.so.$major" "$tgt/lib/libcublasLt.so"
fi
export CUDACXX=$cuda/bin/nvcc PATH=$cuda/bin:$PATH CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)
export CMAKE_ARGS=$cmake_args
"$py" -m pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python -w wheel "llama-cpp-python==$ver"
"$py" -m pip install --force-reinstall --no-deps wheel/llama_cpp_python-"$ver"-*.whl
"$py" -m codeassist doctor --no-bench | sed -n '1,3p'
