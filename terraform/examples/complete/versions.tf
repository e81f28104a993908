terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }

  # Keep the state somewhere shared and encrypted for a real deployment, e.g.:
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "ocsfmap/terraform.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "ocsfmap"
      ManagedBy = "terraform"
    }
  }
}
