#!/bin/sh
# setup.sh: installs what retraining the bundled models needs (Debian's CPU PyTorch with OpenBLAS)
# and checks that OpenBLAS, not the ~25x slower reference BLAS, is the active libblas.
# Training is not part of CI; the project's own setup does not need this.
set -e
apt-get install -y python3-torch libopenblas0-pthread
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
case "$blas" in
  *openblas*) echo "BLAS: $blas (OpenBLAS, good)" ;;
  *) echo "warning: active BLAS is $blas, not OpenBLAS; run" \
          "update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2 ;;
esac
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
