"""The paper's model zoo as `.mg` files; shipped as package data so installed copies find it."""
