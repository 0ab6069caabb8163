# Shoal — the two commands of the README, and the benchmarks.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

# Debian packages each target needs (installed when run as root, named otherwise).
BUILD_PACKAGES := libldap2-dev libcrypt-dev libsqlite3-dev libnl-genl-3-dev pkg-config libnftables-dev
TEST_PACKAGES := $(BUILD_PACKAGES) slapd ldap-utils openssl python3 swaks libnet-ssleay-perl dovecot-core dovecot-imapd dovecot-pop3d fetchmail mutt postfix \
	nginx-light haproxy curl chromium qemu-system-x86 linux-image-amd64 busybox-static ipvsadm cpio binutils \
	dovecot-dev autoconf automake libtool gcc make chromium-driver python3-selenium squid \
	nftables iproute2 keepalived podman runc mmdebstrap
DEMO_PACKAGES := $(BUILD_PACKAGES) python3 curl slapd ldap-utils
BENCH_PACKAGES := $(BUILD_PACKAGES) slapd ldap-utils openssl haproxy nginx-light wrk python3 iproute2 dovecot-pop3d dovecot-imapd linux-perf squid varnish nftables valgrind gcc binutils keepalived \
	qemu-system-x86 linux-image-amd64 busybox-static ipvsadm cpio podman runc mmdebstrap
STRESS_PACKAGES := $(BUILD_PACKAGES) python3 iproute2
# The webmail benchmark's anchor: Roundcube (Debian's package) on php-fpm behind nginx, against Dovecot.
BENCH_PACKAGES += roundcube-core roundcube-sqlite3 php-fpm

SWIFT_BUILD_FLAGS ?=
# Seconds each fuzz target runs for under `make fuzz` (25 targets).
FUZZ_SECONDS ?= 60

.PHONY: all build demo demo-director demo-web demo-cache test bench stress fuzz check-swift clean

all: build

check-swift:
	@command -v swift >/dev/null || { echo "error: swift not found (expected Swift 6.3 at /opt/swift/usr/bin)" >&2; exit 1; }

build: check-swift
	swift build $(SWIFT_BUILD_FLAGS)

## make demo: the mail cluster appliance (Appliances/mail-cluster.yaml) up on loopback, mail through its VIPs, a node killed, down.
demo: check-swift
	@scripts/ensure-packages.sh $(DEMO_PACKAGES)
	swift build $(SWIFT_BUILD_FLAGS) --product shoal
	@scripts/demo-mail-cluster.sh "$$(swift build --show-bin-path)/shoal"

## make demo-director: the director core on an embedded example (rules + trace in Demo/), then one mail node.
demo-director: check-swift
	@scripts/ensure-packages.sh $(DEMO_PACKAGES)
	swift build $(SWIFT_BUILD_FLAGS) --product shoal
	@scripts/demo.sh "$$(swift build --show-bin-path)/shoal"

## make demo-web / make demo-cache: the web farm / cache farm appliance up on loopback, requests through the VIP, a node killed, scale up and down, down.
demo-web demo-cache: check-swift
	@scripts/ensure-packages.sh $(DEMO_PACKAGES)
	swift build $(SWIFT_BUILD_FLAGS) --product shoal
	@scripts/demo-farm.sh "$$(swift build --show-bin-path)/shoal" $(if $(filter demo-web,$@),web-farm,cache-farm)

## make test: every unit and CLI test.
test: check-swift
	@scripts/ensure-packages.sh $(TEST_PACKAGES)
	swift build $(SWIFT_BUILD_FLAGS) --build-tests
	swift test $(SWIFT_BUILD_FLAGS) --skip-build

## make bench: every benchmark in BENCHMARKS.md, in release builds.
bench: check-swift
	@scripts/ensure-packages.sh $(BENCH_PACKAGES) postfix bc
	cd Benchmarks && swift run -c release -Xswiftc -enable-testing --scratch-path ../.build-bench DirectorBench
	cd Benchmarks && swift run -c release -Xswiftc -enable-testing --scratch-path ../.build-bench DirectoryBench
	swift build -c release --product shoal
	scripts/bench-mail.sh "$$(swift build -c release --show-bin-path)/shoal" 2000 10
	scripts/bench-read.sh "$$(swift build -c release --show-bin-path)/shoal"
	BENCH_PINNED=1 scripts/bench-maildirector.sh "$$(swift build -c release --show-bin-path)/shoal"
	scripts/bench-director.sh "$$(swift build -c release --show-bin-path)/shoal"
	scripts/bench-http.sh 10 50 3
	scripts/bench-web.sh "$$(swift build -c release --show-bin-path)/shoal" 10 64 3
	scripts/bench-webmail.sh "$$(swift build -c release --show-bin-path)/shoal" 10000 3
	scripts/bench-cache.sh "$$(swift build -c release --show-bin-path)/shoal" 10 64 3
	scripts/bench-nft.sh "$$(swift build -c release --show-bin-path)/shoal"
	scripts/bench-ipvs-vm.sh "$$(swift build -c release --show-bin-path)/shoal"
	scripts/profile-web.sh "$$(swift build -c release --show-bin-path)/shoal" 10 20
	scripts/profile-cache.sh "$$(swift build -c release --show-bin-path)/shoal" 10 30
	scripts/bench-appliance.sh "$$(swift build -c release --show-bin-path)/shoal" 3
	scripts/bench-failover.sh "$$(swift build -c release --show-bin-path)/shoal"
	scripts/profile-director.sh "$$(swift build -c release --show-bin-path)/shoal" 5 15

## make stress: fault and abuse scenarios on loopback (not part of make test); STRESS_SECONDS scales the run
## (default 300 s of load, about 5-6 minutes in all), STRESS_BIN= runs them against another shoal binary.
stress: check-swift
	@scripts/ensure-packages.sh $(STRESS_PACKAGES)
	@if [ -z "$(STRESS_BIN)" ]; then swift build $(SWIFT_BUILD_FLAGS) --product shoal; fi
	scripts/stress.sh "$${STRESS_BIN:-$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/shoal}"

## make fuzz: every parser of network input under libFuzzer + ASan, FUZZ_SECONDS each (FUZZING.md).
fuzz: check-swift
	@scripts/ensure-packages.sh $(BUILD_PACKAGES)
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

clean:
	rm -rf .build .build-bench .build-fuzz
