"""Testing a deployment's rules: the scenario-file runner and its pytest plugin (``-p fuxian_rules.testing.plugin``)."""
