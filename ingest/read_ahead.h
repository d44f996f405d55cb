// ReadAhead: an RpslReader running on a thread of its own, handing over objects in batches, so that reading a
// dump (gunzip, lines, continuations) and checking its objects keep two cores busy instead of one.
//
//   ReadAhead ahead(RpslReader::open_file(path));
//   while (std::span<const RpslObject> batch = ahead.next_batch(); !batch.empty()) {
//     for (const RpslObject& object : batch) collector.add(object, Origin::in_file(source, file, object.line));
//   }
//
// Objects come in input order, exactly as RpslReader::next gives them. A read error (std::system_error naming the
// file) is rethrown by next_batch() once every object read before it has been handed over, as a plain loop over
// RpslReader::next would throw it at the same place. A few batches are in flight at most, each reused: memory
// stays bounded and the reader's string capacity keeps being recycled.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "ingest/rpsl_reader.h"

namespace rdnsprov::ingest {

class ReadAhead {
 public:
  explicit ReadAhead(RpslReader reader, std::size_t batch_size = 1024, std::size_t batches = 4);
  // Stops the reading thread (also when the consumer gave up early) and waits for it.
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next objects in input order, valid until the next call; empty at the end of the input. Rethrows a read
  // error after the objects read before it.
  std::span<const RpslObject> next_batch();

 private:
  struct Batch {
    std::vector<RpslObject> objects;
    std::size_t size = 0;
  };
  void read_loop();

  RpslReader reader_;
  std::size_t batch_size_;
  std::vector<Batch> batches_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch*> free_;     // to be filled by the reading thread
  std::deque<Batch*> full_;     // to be handed to the consumer, in input order
  Batch* in_use_ = nullptr;     // the batch the consumer holds
  bool finished_ = false;       // the reading thread has queued its last batch
  bool stopping_ = false;       // the consumer is gone
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace rdnsprov::ingest
