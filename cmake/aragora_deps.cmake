# Every dependency is a Debian 12 package installed by scripts/setup; nothing is fetched.
find_package(Threads REQUIRED)

# CAF 0.17 ships no CMake package: declare the imported targets by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES
  IMPORTED_LOCATION ${CAF_CORE_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR}
  INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(CAF::io SHARED IMPORTED)
set_target_properties(CAF::io PROPERTIES
  IMPORTED_LOCATION ${CAF_IO_LIBRARY}
  INTERFACE_LINK_LIBRARIES CAF::core)

find_package(Protobuf REQUIRED)            # CMake's FindProtobuf module
find_package(RocksDB 7.8 CONFIG REQUIRED)  # RocksDB::rocksdb-shared (RocksDB::rocksdb is the .a)
find_package(OpenSSL REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)     # target: yaml-cpp
find_package(CLI11 CONFIG REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json)  # Boost::headers (Beast, Asio), Boost::json: net/edge
find_package(spdlog CONFIG REQUIRED)      # spdlog::spdlog, only in runtime/base/log
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)

# tcmalloc (gperftools): thread-cached allocation. Debates allocate on one scheduler thread and
# free on another; glibc's arenas serialise that behind a lock (a quarter of the CPU in profiles).
# The production binaries link it; tests keep glibc malloc so valgrind and sanitizers work.
option(ARAGORA_TCMALLOC "link tcmalloc into the aragora binaries" ON)
if(ARAGORA_TCMALLOC)
  find_library(TCMALLOC_LIBRARY tcmalloc_minimal REQUIRED)
endif()

# aragora_use_allocator(target): links the chosen allocator even though no symbol refers to it.
function(aragora_use_allocator target)
  if(ARAGORA_TCMALLOC)
    target_link_libraries(${target} PRIVATE "-Wl,--no-as-needed" ${TCMALLOC_LIBRARY} "-Wl,--as-needed")
  endif()
endfunction()
