#!/usr/bin/env bash
# On the GPU machine (the repository root, .gpu-pack carried): unpack what gpu-machine-pack.sh
# packed and run gpu-machine.ts on Dawn's Vulkan backend; the log goes to $OUT/gpu-bench.log too.
# BNLAB_KEEP_GL=1 leaves the system's GL/Vulkan loaders alone (to try it on this machine).
set -uo pipefail
cd "$(dirname "$0")/../../.."
[ -n "${BNLAB_KEEP_GL:-}" ] || { for f in .gpu-pack/gl/*.deb; do dpkg -x "$f" /; done; ldconfig; }
unxz() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
bin=/tmp/bnlab-gpu && mkdir -p "$bin"
unxz .gpu-pack/node.xz "$bin/node" && chmod +x "$bin/node"
d=.gpu-pack/node_modules/webgpu/dist/linux-x64 && unxz $d/dawn.node.xz $d/dawn.node
[ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export BNLAB_DAWN_BACKEND="${BNLAB_DAWN_BACKEND:-vulkan}"
nvidia-smi -L 2>/dev/null || true
"$bin/node" .gpu-pack/gpu-bench.js "$@" 2>&1 | tee "${OUT:-/tmp}/gpu-bench.log"
