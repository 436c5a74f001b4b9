#!/usr/bin/env bash
# Packs what a GPU machine without Node or a browser needs to run gpu-machine.ts, into .gpu-pack/
# (git-ignored, about 35 MB): node and Dawn's addon (xz), the bundled script with TensorFlow.js in
# it, and the Vulkan/EGL loader packages. Then, on the device machine, with carry [".gpu-pack"]:
#   bash scripts/bench/webgpu/gpu-machine-run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
pack=.gpu-pack
rm -rf "$pack" && mkdir -p "$pack/node_modules/webgpu/dist/linux-x64" "$pack/gl"
[ -d scripts/bench/webgpu/node_modules/@tensorflow/tfjs-backend-webgpu ] || (cd scripts/bench/webgpu && npm install --no-audit --no-fund)
npx esbuild scripts/bench/webgpu/gpu-machine.ts --bundle --platform=node --format=cjs --target=node20 \
  --external:webgpu --outfile="$pack/gpu-bench.js" --log-level=warning
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$pack/node_modules/webgpu/"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$pack/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
xz -T0 -6 -c "$(command -v node)" > "$pack/node.xz"
lists=/tmp/bnlab-amd64-lists
mkdir -p "$lists/partial"
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists="$lists")
apt-get "${o[@]}" update -qq
(cd "$pack/gl" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
du -sh "$pack"
