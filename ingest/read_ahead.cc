#include "ingest/read_ahead.h"

#include <utility>

namespace rdnsprov::ingest {

ReadAhead::ReadAhead(RpslReader reader, std::size_t batch_size, std::size_t batches)
    : reader_(std::move(reader)), batch_size_(batch_size == 0 ? 1 : batch_size), batches_(batches < 2 ? 2 : batches) {
  for (Batch& batch : batches_) {
    batch.objects.resize(batch_size_);
    free_.push_back(&batch);
  }
  thread_ = std::thread([this] { read_loop(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ReadAhead::read_loop() {
  while (true) {
    Batch* batch = nullptr;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !free_.empty(); });
      if (stopping_) return;
      batch = free_.front();
      free_.pop_front();
    }
    bool more = true;
    std::exception_ptr error;
    batch->size = 0;
    try {
      while (batch->size < batch_size_ && (more = reader_.next(batch->objects[batch->size]))) ++batch->size;
    } catch (...) {
      error = std::current_exception();
      more = false;
    }
    {
      std::lock_guard lock(mutex_);
      full_.push_back(batch);
      if (!more) {
        finished_ = true;
        error_ = error;
      }
    }
    changed_.notify_all();
    if (!more) return;
  }
}

std::span<const RpslObject> ReadAhead::next_batch() {
  std::unique_lock lock(mutex_);
  if (in_use_) {
    free_.push_back(std::exchange(in_use_, nullptr));
    changed_.notify_all();
  }
  while (true) {
    changed_.wait(lock, [&] { return !full_.empty() || finished_; });
    if (full_.empty()) {
      // Everything read has been handed over: the end of the input, or the error that cut it short.
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
      return {};
    }
    Batch* batch = full_.front();
    full_.pop_front();
    if (batch->size == 0) {  // the last batch found nothing more to read
      free_.push_back(batch);
      continue;
    }
    in_use_ = batch;
    return std::span<const RpslObject>(batch->objects.data(), batch->size);
  }
}

}  // namespace rdnsprov::ingest
