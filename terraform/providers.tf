# The only provider configuration: child modules inherit it (none of them declares a provider).
provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
