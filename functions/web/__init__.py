"""Pages of the API endpoint other than the API itself (`POST /`): browser flows such as the
bastion's OAuth sign-in. Each module is a Chalice blueprint; the logic lives in layers/."""
