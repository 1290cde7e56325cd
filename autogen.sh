#!/bin/sh
# Regenerate the build system: ./autogen.sh && ./configure && make

# SPDX-License-Identifier: Apache-2.0
set -e
cd "$(dirname "$0")"
autoreconf -fi
