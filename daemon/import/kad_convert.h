/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kad_convert.h - a keepalived.conf tree (kad.h) turned into an ipvs-router
 * configuration, for `ipvs-router import keepalived`.
 *
 * Core module: a tree in, the configuration's text and the notes out.  What has an
 * equivalent is converted; everything else becomes a "# keepalived: ... (not
 * converted: why)" comment where it belongs, and a note "FILE:LINE: ..." for stderr.
 */
#ifndef IPVSR_KAD_CONVERT_H
#define IPVSR_KAD_CONVERT_H

#include "kad.h"
#include "util.h"

/*
 * Convert doc (this router's keepalived.conf) into out; notes into el.  io (may be
 * NULL) reads the notify scripts it names, to recognise the AWS CLI moving an
 * Elastic IP there (that becomes the VIP's eip stanza).
 */
void kad_convert(const struct kad_doc *doc, const struct kad_io *io, struct tbuf *out,
    struct errlist *notes);

#endif
