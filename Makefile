# dunning: PGXS build, tests and demo.
#
#   make demo    build, install, start a throw-away cluster, load the sample
#                ledger and print what a credit manager sees
#   make test    install what is missing (Debian packages), build, install
#                and run every suite in a throw-away cluster
#
# Both work on a fresh Debian machine as root with nothing done before.

EXTENSION   = dunning
EXTVERSION  = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = dunning
OBJS        = src/dunning.o src/aging.o src/terms.o src/counters.o src/lettering.o

# The install script is built from one SQL file per concept, in this order
# (data flows one way: types, tables, triggers, views).
SQL_SOURCES = src/dunning.sql src/aging.sql src/terms.sql src/schema.sql \
              src/counters.sql src/lettering.sql src/reference_rate.sql src/balance.sql
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard src/$(EXTENSION)--*--*.sql)

REGRESS     = aging terms ledger lettering aged_balance sample
ISOLATION   = allocation lettering
ISOLATION_OPTS = --inputdir=test/isolation
EXTRA_CLEAN = $(DATA_built) output_iso results regression.diffs regression.out

# -Werror everywhere; assertions in our own code when DUNNING_ASSERTS=1
# (make test sets it).
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter
ifeq ($(DUNNING_ASSERTS),1)
PG_CPPFLAGS += -DUSE_ASSERT_CHECKING
endif

PG_CONFIG  ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS       := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
all install installcheck:
	@echo "PostgreSQL server headers not found (postgresql-server-dev-15)."
	@echo "Run 'make test' (it installs them) or: apt-get install postgresql-server-dev-15"
	@exit 1
endif

$(DATA_built): $(SQL_SOURCES) $(EXTENSION).control
	cat $(SQL_SOURCES) > $@

.PHONY: test demo bench
test:
	test/run

demo:
	examples/demo
