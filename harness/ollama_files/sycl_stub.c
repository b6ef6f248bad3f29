/* Stands in for bigdl-core-cpp's libollama-ggml-sycl.so: a "SYCL" ggml backend with zero devices.
 *
 * The wheel's Ollama links its SYCL backend unconditionally, and that backend throws while
 * registering on a machine without an Intel GPU (SIGABRT, even for `ollama-lib --version`).
 * With zero devices ggml falls back to its CPU backend; the Go server and the CPU libraries
 * stay the wheel's own files. Layout: ggml-backend-impl.h, GGML_BACKEND_API_VERSION 1.
 */
#include <stddef.h>
#include <string.h>

typedef struct ggml_backend_reg * ggml_backend_reg_t;
struct ggml_backend_reg_i {
    const char * (*get_name)(ggml_backend_reg_t);
    size_t       (*get_device_count)(ggml_backend_reg_t);
    void *       (*get_device)(ggml_backend_reg_t, size_t);
    void *       (*get_proc_address)(ggml_backend_reg_t, const char *);
};
struct ggml_backend_reg { int api_version; struct ggml_backend_reg_i iface; void * context; };

static const char * s_name(ggml_backend_reg_t r) { (void)r; return "SYCL"; }
static size_t s_count(ggml_backend_reg_t r) { (void)r; return 0; }
static void * s_dev(ggml_backend_reg_t r, size_t i) { (void)r; (void)i; return NULL; }
static void * s_proc(ggml_backend_reg_t r, const char * n) { (void)r; (void)n; return NULL; }
static struct ggml_backend_reg s_reg = { 1, { s_name, s_count, s_dev, s_proc }, NULL };

/* The symbols the other libraries import from the real library. */
ggml_backend_reg_t ggml_backend_sycl_reg(void) { return &s_reg; }
void * ggml_backend_sycl_init(int dev) { (void)dev; return NULL; }
int ggml_backend_sycl_get_device_count(void) { return 0; }
void ggml_backend_sycl_get_device_name(int dev, char * buf, size_t n) {
    (void)dev;
    if (buf && n) { strncpy(buf, "none", n); buf[n - 1] = 0; }
}

/* ggml_format_convert_to_xpu(src, dst, n_elements, ggml_type): the loader calls it for quantised
 * weights when GPU layers are asked for; an identity copy is the CPU-correct meaning. The server
 * still runs with OLLAMA_NUM_GPU=0 (GPU layers on this build give garbage text). */
extern size_t ggml_row_size(int type, long long ne);
void _Z26ggml_format_convert_to_xpuPKvPvmi(const void * s, void * d, unsigned long n, int t) {
    memcpy(d, s, ggml_row_size(t, (long long)n));
}
