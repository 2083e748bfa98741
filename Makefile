# dunning: PGXS build, tests and demo.
#
#   make demo    build, install, start a throw-away cluster, load the sample
#                ledger and print what a credit manager sees
#   make test    install what is missing (Debian packages), build, install
#                and run every suite in a throw-away cluster
#   make bench   the benchmark (bench/README.md), in a throw-away cluster
#
# Both work on a fresh Debian machine as root with nothing done before.

EXTENSION   = dunning
EXTVERSION  = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = dunning
OBJS        = src/dunning.o src/aging.o src/terms.o src/counters.o src/lettering.o \
              src/escalation.o src/interest.o src/render.o src/balance.o

# The install script is built from one SQL file per concept, in this order
# (data flows one way: types, tables, triggers, views).  The files of a
# released version are not edited again: what a version adds or changes is
# written in its own files, which are also its upgrade script from the
# version before (ALTER for what it changes).  So an upgraded database and a
# new one run the same statements.
SQL_0_1_0   = src/dunning.sql src/aging.sql src/terms.sql src/schema.sql \
              src/counters.sql src/lettering.sql src/reference_rate.sql src/balance.sql
SQL_0_2_0   = src/escalation.sql src/templates.sql src/reminders.sql src/issue.sql src/followup.sql
SQL_0_3_0   = src/aged_balance.sql src/security.sql
SQL_0_4_0   = src/aged_totals.sql src/finite_amounts.sql
SQL_0_5_0   = src/aged_pass.sql
SQL_SOURCES = $(SQL_0_1_0) $(SQL_0_2_0) $(SQL_0_3_0) $(SQL_0_4_0) $(SQL_0_5_0)
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)--0.1.0.sql $(EXTENSION)--0.2.0.sql \
              $(EXTENSION)--0.3.0.sql $(EXTENSION)--0.4.0.sql $(EXTENSION)--0.1.0--0.2.0.sql \
              $(EXTENSION)--0.2.0--0.3.0.sql $(EXTENSION)--0.3.0--0.4.0.sql \
              $(EXTENSION)--0.4.0--0.5.0.sql

REGRESS     = aging terms ledger lettering aged_balance sample reminders escalation interest followup security
ISOLATION   = allocation lettering issuing followup
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

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	cat $(SQL_SOURCES) > $@

$(EXTENSION)--0.1.0.sql: $(SQL_0_1_0)
	cat $^ > $@

$(EXTENSION)--0.2.0.sql: $(SQL_0_1_0) $(SQL_0_2_0)
	cat $^ > $@

$(EXTENSION)--0.3.0.sql: $(SQL_0_1_0) $(SQL_0_2_0) $(SQL_0_3_0)
	cat $^ > $@

$(EXTENSION)--0.4.0.sql: $(SQL_0_1_0) $(SQL_0_2_0) $(SQL_0_3_0) $(SQL_0_4_0)
	cat $^ > $@

# an upgrade script to version $(1): psql's guard, then the files of that
# version (the rule's prerequisites)
define upgrade_script
	printf '%s\n' '\echo Use "ALTER EXTENSION dunning UPDATE TO '"'"'$(1)'"'"'" to load this file. \quit' > $@
	cat $^ >> $@
endef

$(EXTENSION)--0.1.0--0.2.0.sql: $(SQL_0_2_0)
	$(call upgrade_script,0.2.0)

$(EXTENSION)--0.2.0--0.3.0.sql: $(SQL_0_3_0)
	$(call upgrade_script,0.3.0)

$(EXTENSION)--0.3.0--0.4.0.sql: $(SQL_0_4_0)
	$(call upgrade_script,0.4.0)

$(EXTENSION)--0.4.0--0.5.0.sql: $(SQL_0_5_0)
	$(call upgrade_script,0.5.0)

.PHONY: test demo bench
test:
	test/run

demo:
	examples/demo

# the benchmark (not part of make test; bench/README.md): the table of
# operations at 100,000 customers, then lettering memory at 1 and 4 million
# entries
bench:
	bench/run
	bench/run --lettering-memory --runs 1
