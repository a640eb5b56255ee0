// The libcurl functions ciutils calls, each loading libcurl on first use (lazy_library.h).
// A tool that makes no transfer never loads libcurl and the ~40 libraries it needs.
#define CURL_DISABLE_TYPECHECK
#include "ciutils/lazy_library.h"

#include <curl/curl.h>

#include <cstdarg>

namespace {
ciutils::LazyLibrary curl{"libcurl.so.4", "libcurl4 (Debian, Ubuntu) or libcurl (other systems)"};

// curl_easy_setopt and curl_easy_getinfo take exactly one argument after the option: a long,
// a curl_off_t, an object pointer or a function pointer. On the LP64 ABIs ciutils builds for
// (x86-64, AArch64) each travels in one 64-bit integer register, so it is passed on as a
// void* unchanged, as libcurl reads it back with the type the option calls for.
void* only_argument(va_list arguments) { return va_arg(arguments, void*); }
}  // namespace

extern "C" {

CURLcode(curl_easy_setopt)(CURL* handle, CURLoption option, ...) {
  CIUTILS_LAZY_REAL(curl, curl_easy_setopt);
  va_list arguments;
  va_start(arguments, option);
  void* value = only_argument(arguments);
  va_end(arguments);
  return real(handle, option, value);
}

CURLcode(curl_easy_getinfo)(CURL* handle, CURLINFO info, ...) {
  CIUTILS_LAZY_REAL(curl, curl_easy_getinfo);
  va_list arguments;
  va_start(arguments, info);
  void* out = only_argument(arguments);
  va_end(arguments);
  return real(handle, info, out);
}

CURLcode curl_global_init(long flags) {
  CIUTILS_LAZY_REAL(curl, curl_global_init);
  return real(flags);
}

const char* curl_easy_strerror(CURLcode code) {
  CIUTILS_LAZY_REAL(curl, curl_easy_strerror);
  return real(code);
}

CURL* curl_easy_init() {
  CIUTILS_LAZY_REAL(curl, curl_easy_init);
  return real();
}

CURLcode curl_easy_perform(CURL* handle) {
  CIUTILS_LAZY_REAL(curl, curl_easy_perform);
  return real(handle);
}

CURLcode curl_easy_pause(CURL* handle, int bitmask) {
  CIUTILS_LAZY_REAL(curl, curl_easy_pause);
  return real(handle, bitmask);
}

void curl_easy_cleanup(CURL* handle) {
  CIUTILS_LAZY_REAL(curl, curl_easy_cleanup);
  real(handle);
}

curl_slist* curl_slist_append(curl_slist* list, const char* data) {
  CIUTILS_LAZY_REAL(curl, curl_slist_append);
  return real(list, data);
}

void curl_slist_free_all(curl_slist* list) {
  CIUTILS_LAZY_REAL(curl, curl_slist_free_all);
  real(list);
}

CURLM* curl_multi_init() {
  CIUTILS_LAZY_REAL(curl, curl_multi_init);
  return real();
}

CURLMcode curl_multi_add_handle(CURLM* multi, CURL* handle) {
  CIUTILS_LAZY_REAL(curl, curl_multi_add_handle);
  return real(multi, handle);
}

CURLMcode curl_multi_remove_handle(CURLM* multi, CURL* handle) {
  CIUTILS_LAZY_REAL(curl, curl_multi_remove_handle);
  return real(multi, handle);
}

CURLMcode curl_multi_perform(CURLM* multi, int* running) {
  CIUTILS_LAZY_REAL(curl, curl_multi_perform);
  return real(multi, running);
}

CURLMcode curl_multi_poll(CURLM* multi, curl_waitfd extra_fds[], unsigned int extra_nfds, int timeout_ms,
                          int* numfds) {
  CIUTILS_LAZY_REAL(curl, curl_multi_poll);
  return real(multi, extra_fds, extra_nfds, timeout_ms, numfds);
}

CURLMsg* curl_multi_info_read(CURLM* multi, int* msgs_in_queue) {
  CIUTILS_LAZY_REAL(curl, curl_multi_info_read);
  return real(multi, msgs_in_queue);
}

CURLMcode curl_multi_cleanup(CURLM* multi) {
  CIUTILS_LAZY_REAL(curl, curl_multi_cleanup);
  return real(multi);
}

void curl_free(void* pointer) {
  CIUTILS_LAZY_REAL(curl, curl_free);
  real(pointer);
}

CURLU* curl_url() {
  CIUTILS_LAZY_REAL(curl, curl_url);
  return real();
}

void curl_url_cleanup(CURLU* url) {
  CIUTILS_LAZY_REAL(curl, curl_url_cleanup);
  real(url);
}

CURLUcode curl_url_get(CURLU* url, CURLUPart what, char** part, unsigned int flags) {
  CIUTILS_LAZY_REAL(curl, curl_url_get);
  return real(url, what, part, flags);
}

CURLUcode curl_url_set(CURLU* url, CURLUPart what, const char* part, unsigned int flags) {
  CIUTILS_LAZY_REAL(curl, curl_url_set);
  return real(url, what, part, flags);
}

time_t curl_getdate(const char* text, const time_t* unused) {
  CIUTILS_LAZY_REAL(curl, curl_getdate);
  return real(text, unused);
}

}  // extern "C"
