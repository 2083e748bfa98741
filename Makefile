# dunning: PGXS build, tests and demo.
#
#   make demo    build, install, start a throw-away cluster, load the sample
#                ledger and print what a credit manager sees
#   make test    install what is missing (Debian packages), build, install
#                and run every suite in a throw-away cluster
#   make bench   the benchmark (bench/README.md), in a throw-away cluster
#   make soak    the soak test (DURATION=600 seconds, CLIENTS=8), in one
#
# Both work on a fresh Debian machine as root with nothing done before.

EXTENSION   = dunning
EXTVERSION  = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = dunning
OBJS        = src/dunning.o src/fixed.o src/aging.o src/terms.o src/triggers.o \
              src/allocation.o src/counters.o src/lettering.o src/balance.o \
              src/escalation.o src/interest.o src/render.o src/proposal.o \
              src/distribute.o src/security.o

# The second library, dunning_delivery: the printed letter (cairo, pango,
# libqrencode) and the SMTP client (libcurl).  Only the delivery functions
# load it (README "Delivery"), so dunning.so links none of them.
DELIVERY      = dunning_delivery
DELIVERY_OBJS = src/pdf.o src/smtp.o
DELIVERY_PKGS = pangocairo libqrencode libcurl

# The install script of the current version is built from one SQL file per
# concept (README "Source layout"), in the order data flows: types, tables,
# triggers, lettering, open items and aged balance, escalation, proposal,
# issuing, follow-up, row security.  Each object is created in exactly one
# of them.  The scripts of released versions are frozen in src/upgrade/:
# the 0.1.0 install script and every upgrade step, kept byte for byte as
# they were released; the newest step (to the current version) is written
# by hand there too.
SQL_SOURCES = src/dunning.sql src/fixed.sql src/aging.sql src/terms.sql src/schema.sql src/company.sql \
              src/allocation.sql src/counters.sql src/lettering.sql src/reference_rate.sql \
              src/balance.sql src/credit.sql src/dashboard.sql \
              src/escalation.sql src/interest.sql src/render.sql \
              src/templates.sql src/reminders.sql src/issue.sql src/followup.sql src/pdf.sql src/smtp.sql src/daily.sql src/security.sql src/distribute.sql
DATA        = $(wildcard src/upgrade/$(EXTENSION)--*.sql)
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql

REGRESS     = aging terms ledger lettering aged_balance sample reminders escalation interest followup credit delivery daily security distribute
ISOLATION   = allocation lettering lettering_ledger issuing followup daily
ISOLATION_OPTS = --inputdir=test/isolation
EXTRA_CLEAN = $(DELIVERY_OBJS) $(DELIVERY_OBJS:.o=.bc) $(DELIVERY).so $(DATA_built) output_iso results regression.diffs regression.out

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

$(DELIVERY_OBJS): override CPPFLAGS += $(shell pkg-config --cflags $(DELIVERY_PKGS))
$(DELIVERY)$(DLSUFFIX): $(DELIVERY_OBJS)
	$(CC) $(CFLAGS) $(DELIVERY_OBJS) $(LDFLAGS) $(LDFLAGS_SL) -shared -o $@ \
	    $(shell pkg-config --libs $(DELIVERY_PKGS))
all: $(DELIVERY)$(DLSUFFIX)
install: install-delivery
.PHONY: install-delivery
install-delivery: $(DELIVERY)$(DLSUFFIX) installdirs
	$(INSTALL_SHLIB) $(DELIVERY)$(DLSUFFIX) '$(DESTDIR)$(pkglibdir)/$(DELIVERY)$(DLSUFFIX)'

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	cat $(SQL_SOURCES) > $@

.PHONY: test demo bench soak
test:
	test/run

# the soak test (README "Tests"): pgbench clients mixing what users do,
# then the invariants; make soak DURATION=600 CLIENTS=8
DURATION ?= 600
CLIENTS ?= 8
soak:
	test/install-deps
	$(MAKE) -s all install >/dev/null
	env -u PGHOST -u PGPORT -u PGDATABASE -u PGUSER -u PGPASSWORD \
	    pg_virtualenv -v 15 test/soak/run $(DURATION) $(CLIENTS)

demo:
	examples/demo

# the benchmark (not part of make test; bench/README.md): the table of
# operations at 100,000 customers, then lettering memory at 1 and 4 million
# entries
bench:
	bench/run
	bench/run --lettering-memory --runs 1
