"""Measuring tools, kept out of the product package ``lib``: the page bench
(``python -m lib bench``, bench/pages.py), its floor page (bench/floor.py), the campaign
estimator bench (bench/campaigns.py), the browser load test (``python -m bench.loadtest``) and
the large import file writer (``python -m bench.import_file``). They drive the app from
outside — Streamlit's AppTest, a real ``streamlit run`` and Chromium — so ``lib`` never imports
them; only the CLI's ``bench`` command reaches in, lazily. See docs/performance.md."""
