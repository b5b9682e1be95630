"""`make demo`: the service, a real FHIR server with named patients and a SMART EHR launch, on one machine.

Also the home of what the integration tests share with the demo: the sekmet-fhir runner (`fhir_server`),
the Authlib SMART authorization server (`smart_auth`) and uvicorn in a thread (`threaded_server`).
"""
