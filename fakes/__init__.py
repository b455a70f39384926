"""Local fakes of outside services, speaking their real wire formats."""
