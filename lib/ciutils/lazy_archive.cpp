// The libarchive functions fetch calls, each loading libarchive on first use
// (ciutils/lazy_library.h): `fetch --version`, uploads of single files and every command that
// unpacks nothing never load libarchive and the compression libraries it needs.
#include "ciutils/lazy_library.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdarg>
#include <cstdio>

namespace {
ciutils::LazyLibrary libarchive{"libarchive.so.13", "libarchive13"};
}  // namespace

extern "C" {

struct archive* archive_read_new() {
  CIUTILS_LAZY_REAL(libarchive, archive_read_new);
  return real();
}

int archive_read_free(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_free);
  return real(a);
}

int archive_read_support_filter_bzip2(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_support_filter_bzip2);
  return real(a);
}

int archive_read_support_filter_gzip(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_support_filter_gzip);
  return real(a);
}

int archive_read_support_filter_xz(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_support_filter_xz);
  return real(a);
}

int archive_read_support_filter_zstd(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_support_filter_zstd);
  return real(a);
}

int archive_read_support_format_tar(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_support_format_tar);
  return real(a);
}

int archive_read_support_format_zip_streamable(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_support_format_zip_streamable);
  return real(a);
}

int archive_read_open(struct archive* a, void* client, archive_open_callback* open, archive_read_callback* read, archive_close_callback* close) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_open);
  return real(a, client, open, read, close);
}

int archive_read_open_memory(struct archive* a, const void* buffer, size_t size) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_open_memory);
  return real(a, buffer, size);
}

int archive_read_next_header(struct archive* a, struct archive_entry** entry) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_next_header);
  return real(a, entry);
}

int archive_read_data_block(struct archive* a, const void** buffer, size_t* size, la_int64_t* offset) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_data_block);
  return real(a, buffer, size, offset);
}

int archive_read_data_skip(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_read_data_skip);
  return real(a);
}

struct archive* archive_write_new() {
  CIUTILS_LAZY_REAL(libarchive, archive_write_new);
  return real();
}

int archive_write_free(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_free);
  return real(a);
}

int archive_write_add_filter_gzip(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_add_filter_gzip);
  return real(a);
}

int archive_write_set_filter_option(struct archive* a, const char* module, const char* option, const char* value) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_set_filter_option);
  return real(a, module, option, value);
}

int archive_write_set_format_pax_restricted(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_set_format_pax_restricted);
  return real(a);
}

int archive_write_set_bytes_in_last_block(struct archive* a, int bytes) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_set_bytes_in_last_block);
  return real(a, bytes);
}

int archive_write_open2(struct archive* a, void* client, archive_open_callback* open, archive_write_callback* write, archive_close_callback* close, archive_free_callback* free) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_open2);
  return real(a, client, open, write, close, free);
}

int archive_write_header(struct archive* a, struct archive_entry* entry) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_header);
  return real(a, entry);
}

la_ssize_t archive_write_data(struct archive* a, const void* data, size_t size) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_data);
  return real(a, data, size);
}

int archive_write_close(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_write_close);
  return real(a);
}

la_int64_t archive_filter_bytes(struct archive* a, int filter) {
  CIUTILS_LAZY_REAL(libarchive, archive_filter_bytes);
  return real(a, filter);
}

int archive_format(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_format);
  return real(a);
}

const char* archive_error_string(struct archive* a) {
  CIUTILS_LAZY_REAL(libarchive, archive_error_string);
  return real(a);
}

struct archive_entry* archive_entry_new() {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_new);
  return real();
}

void archive_entry_free(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_free);
  real(e);
}

void archive_entry_copy_stat(struct archive_entry* e, const struct stat* st) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_copy_stat);
  real(e, st);
}

__LA_MODE_T archive_entry_filetype(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_filetype);
  return real(e);
}

const char* archive_entry_hardlink(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_hardlink);
  return real(e);
}

time_t archive_entry_mtime(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_mtime);
  return real(e);
}

int archive_entry_mtime_is_set(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_mtime_is_set);
  return real(e);
}

long archive_entry_mtime_nsec(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_mtime_nsec);
  return real(e);
}

const char* archive_entry_pathname(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_pathname);
  return real(e);
}

__LA_MODE_T archive_entry_perm(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_perm);
  return real(e);
}

la_int64_t archive_entry_size(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_size);
  return real(e);
}

int archive_entry_size_is_set(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_size_is_set);
  return real(e);
}

const char* archive_entry_symlink(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_symlink);
  return real(e);
}

la_int64_t archive_entry_uid(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_uid);
  return real(e);
}

void archive_entry_set_gid(struct archive_entry* e, la_int64_t gid) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_set_gid);
  real(e, gid);
}

void archive_entry_set_pathname(struct archive_entry* e, const char* path) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_set_pathname);
  real(e, path);
}

void archive_entry_set_perm(struct archive_entry* e, __LA_MODE_T perm) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_set_perm);
  real(e, perm);
}

void archive_entry_set_size(struct archive_entry* e, la_int64_t size) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_set_size);
  real(e, size);
}

void archive_entry_set_symlink(struct archive_entry* e, const char* target) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_set_symlink);
  real(e, target);
}

void archive_entry_set_uid(struct archive_entry* e, la_int64_t uid) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_set_uid);
  real(e, uid);
}

void archive_entry_unset_atime(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_unset_atime);
  real(e);
}

void archive_entry_unset_birthtime(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_unset_birthtime);
  real(e);
}

void archive_entry_unset_ctime(struct archive_entry* e) {
  CIUTILS_LAZY_REAL(libarchive, archive_entry_unset_ctime);
  real(e);
}

// Variadic: the message is formatted here and handed over as one "%s" argument.
void archive_set_error(struct archive* a, int error, const char* format, ...) {
  CIUTILS_LAZY_REAL(libarchive, archive_set_error);
  char message[1024];
  va_list arguments;
  va_start(arguments, format);
  std::vsnprintf(message, sizeof message, format, arguments);
  va_end(arguments);
  real(a, error, "%s", message);
}

}  // extern "C"
