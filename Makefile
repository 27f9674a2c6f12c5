# The two set-up commands of the README, and the benchmarks.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: local test bench hsm-lib package deploy gateway-image console-vendor

# a package index that answers badly once (a page cut short) gets two more tries
retry = for try in 1 2 3; do $(1) && break; test $$try -lt 3 || exit 1; echo "again in 10 s"; sleep 10; done

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(call retry,$(PY) -m pip install --quiet --upgrade pip)
	$(call retry,$(PY) -m pip install --quiet -e ".[test]")
	touch $@

# checkov pins versions (boto3, packaging) the project cannot share: it lives in its own venv,
# used by tests/integration/test_deploy_template.py.
CHECKOV ?= .venv-checkov
$(CHECKOV)/.installed:
	$(PYTHON) -m venv $(CHECKOV)
	$(call retry,$(CHECKOV)/bin/python -m pip install --quiet "checkov==3.3.30")
	touch $@

# The console's third-party JS (xterm.js, asciinema-player) from the npm registry, with their
# licences, into functions/web/console/vendor/ (gitignored); without npm it says so and goes on.
CONSOLE_VENDOR = functions/web/console/vendor/.installed
$(CONSOLE_VENDOR): infra/console/package.json infra/console/package-lock.json infra/console_vendor.py
	$(PYTHON) infra/console_vendor.py

console-vendor: $(CONSOLE_VENDOR)

local: $(VENV)/.installed $(CONSOLE_VENDOR)        ## the whole local stack (moto, the embedded search store, the API, the event pump); GZ_FRESH=1 starts empty
	$(PY) -m infra.local_stack $(ARGS)

test: $(VENV)/.installed $(CHECKOV)/.installed $(CONSOLE_VENDOR)  ## the test suite
	$(PY) -m pytest -q

bench: $(VENV)/.installed        ## every benchmark; each prints its figures beside the goal
	@status=0; for b in $$(grep -l '__main__' tests/benchmarks/*.py); do echo "== $$b"; $(PY) $$b || status=1; done; exit $$status

hsm-lib: $(VENV)/.installed      ## build/libguardzone-pkcs11.so: the PKCS#11 (and SDF) library over the API
	$(PY) -m layers.hsm_native.build

# ---- Deploy to AWS (docs/deploy.md) ----
PREFIX        ?= guardzone
STACK         ?= $(PREFIX)
DEPLOY_BUCKET ?=
PARAMS        ?=
GATEWAY_IMAGE ?= guardzone-gateway:latest

package: $(VENV)/.installed $(CONSOLE_VENDOR)      ## build/deploy/sam.json + deployment.zip: the whole stack's template
	$(PY) -m infra.package --prefix $(PREFIX) --out build/deploy

deploy: package                  ## package, upload the code to DEPLOY_BUCKET, create/update STACK; PARAMS="GatewayImageUri=... VpcId=... SubnetIds=a,b"
	@test -n "$(DEPLOY_BUCKET)" || { echo "DEPLOY_BUCKET=<an S3 bucket of yours for the code> is needed (docs/deploy.md)"; exit 2; }
	aws cloudformation package --template-file build/deploy/sam.json --s3-bucket $(DEPLOY_BUCKET) \
	    --s3-prefix $(STACK) --use-json --output-template-file build/deploy/packaged.json
	aws cloudformation deploy --template-file build/deploy/packaged.json --stack-name $(STACK) \
	    --s3-bucket $(DEPLOY_BUCKET) --s3-prefix $(STACK) \
	    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	    --parameter-overrides ResourcePrefix=$(PREFIX) $(PARAMS)
	aws cloudformation describe-stacks --stack-name $(STACK) --query "Stacks[0].Outputs" --output table

gateway-image:                   ## the bastion gateway's container image (infra/ssh_gateway.Dockerfile); push it and pass GatewayImageUri
	docker build --platform linux/amd64 -f infra/ssh_gateway.Dockerfile -t $(GATEWAY_IMAGE) .
