#ifndef SHOAL_CNFTABLES_SHIM_H
#define SHOAL_CNFTABLES_SHIM_H
#include <nftables/libnftables.h>
#include <stdbool.h>

/* libnftables behind names Swift imports cleanly. Rulesets are built as JSON in Swift (DirectorNFT);
   libnftables parses them and talks to the kernel. Output and errors are buffered, never printed. */

/* A context that reads and writes JSON with buffered output and errors; NULL when out of memory. */
static inline struct nft_ctx *shoal_nft_open(void) {
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (ctx == NULL) return NULL;
    nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
    if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) { nft_ctx_free(ctx); return NULL; }
    return ctx;
}

static inline void shoal_nft_close(struct nft_ctx *ctx) { nft_ctx_free(ctx); }

/* Check only: the batch goes to the kernel, which validates it and then discards it. */
static inline void shoal_nft_set_dry_run(struct nft_ctx *ctx, bool dry) { nft_ctx_set_dry_run(ctx, dry); }

/* Runs one buffer (a JSON document, or nft's own syntax); 0 on success. */
static inline int shoal_nft_run(struct nft_ctx *ctx, const char *commands) { return nft_run_cmd_from_buffer(ctx, commands); }

/* What the last run printed (JSON) and the errors it reported; valid until the next run. */
static inline const char *shoal_nft_output(struct nft_ctx *ctx) { return nft_ctx_get_output_buffer(ctx); }
static inline const char *shoal_nft_errors(struct nft_ctx *ctx) { return nft_ctx_get_error_buffer(ctx); }

#endif
