#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# keepalived notify_master on AWS, as seen in the wild: take the Elastic IP
INSTANCE=$(curl -s http://169.254.169.254/latest/meta-data/instance-id)
aws ec2 associate-address --allocation-id eipalloc-0fedcba9876543210 \
    --instance-id "$INSTANCE" --allow-reassociation
