"""The Kubernetes cluster: k3s on the servers, then its add-ons and Rancher."""
